"""One module per rule of the service standard (../shared/seeds); each is tested on its own."""
