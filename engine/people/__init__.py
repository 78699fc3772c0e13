"""People and organisations: the directory, who owns a step (assignment), who may see a case (access),
claims, credentials and sign-in."""
