// DeviceAgent: placeholder until its issue lands.
