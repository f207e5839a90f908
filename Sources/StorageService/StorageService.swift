// StorageService: placeholder until its issue lands.
