"""REST views of the holdings, one module per concept."""
