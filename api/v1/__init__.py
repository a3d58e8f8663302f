"""/api/v1: one module per resource, each with its RouteTableDef."""
