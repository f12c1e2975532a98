"""The curator web interface: server-rendered pages with htmx over the archive's services."""
