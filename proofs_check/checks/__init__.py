"""One module per group of claims; importing a module registers its claims."""
