"""Public comments under the Facebook Page's posts (3.3, 3.10, 3.12, 3.13)."""
