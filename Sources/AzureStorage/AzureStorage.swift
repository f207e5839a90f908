// AzureStorage: placeholder until its issue lands.
