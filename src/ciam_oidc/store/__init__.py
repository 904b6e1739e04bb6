"""The only code that touches the database: ORM rows and the repositories behind the ports."""
