"""Privacy: suppression, the disclosure check, pseudonymisation and identifier scans."""
