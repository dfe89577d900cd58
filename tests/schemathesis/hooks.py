"""Schemathesis hooks for `run` (loaded through SCHEMATHESIS_HOOKS).

`cursor` is left out of the document schemathesis tests: a valid cursor is one the server
handed out for the same list (`pagination.next_cursor`), which no generator can draw, so
every drawn one would be refused 400 while schemathesis counts it schema-valid. Cursors
are tested by the API tests instead (tests/api/cases/pages.rs: walks by cursor against
walks by offset, and every refusal: malformed, another list, sort or filter, with
`offset`).
"""

import schemathesis


@schemathesis.hook
def before_load_schema(ctx, raw_schema):
    for item in raw_schema.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [
                    p for p in operation["parameters"] if p.get("name") != "cursor"
                ]
