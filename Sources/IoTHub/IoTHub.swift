// IoTHub: placeholder until its issue lands.
