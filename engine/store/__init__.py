"""Storage: the database, its tables and migrations, the rows commands lock and write, and the caches of
restored workflows."""
