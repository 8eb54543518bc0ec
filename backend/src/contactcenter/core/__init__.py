"""Settings, database, logging, errors and edge validation: nothing else lives in core."""
