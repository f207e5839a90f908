// EdgeModule: placeholder until its issue lands.
