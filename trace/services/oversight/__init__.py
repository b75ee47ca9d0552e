"""What inspectors and administrators watch: the dashboard's figures (services/oversight/dashboard.py)."""
