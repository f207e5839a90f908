// FrontEnd: placeholder until its issue lands.
