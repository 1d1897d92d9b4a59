"""Districts: townships, old communities, targets, subsidy policies and household category claims."""
