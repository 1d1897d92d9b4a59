"""Solicitations: public calls for applications, and the applications suppliers send."""
