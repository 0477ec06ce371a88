"""One test per seed campaign: the whole cycle through the services and pages."""
