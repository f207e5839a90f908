// HubService: placeholder until its issue lands.
