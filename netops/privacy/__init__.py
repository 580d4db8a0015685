"""Personal data: lawful traces of who used a public address, and what they rely on."""
