// Vision: placeholder until its issue lands.
