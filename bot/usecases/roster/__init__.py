"""The roster from the phone, its timeline, and binding an account through an invite."""
