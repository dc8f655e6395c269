"""Importing agency spreadsheets: agency merges, Annex A and case-management extracts."""
