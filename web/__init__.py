"""The public web pages (status pages): their templates (web/templates), static files
(web/static) and rendering. Routes live in api/ like every other route."""
