"""GeoPin Processing provider and algorithms: thin adapters over the engine."""
