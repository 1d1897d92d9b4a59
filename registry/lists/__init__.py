"""Vetted lists: versions, entries, publication checks, snapshots, announcements and their pages/API."""
