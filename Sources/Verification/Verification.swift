// Verification: placeholder until its issue lands.
