// MQTT: placeholder until its issue lands.
