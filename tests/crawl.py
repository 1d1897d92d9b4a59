"""What the crawls share: the demo roles and every GET page of the URL map with sample arguments."""

import re

#: None is the anonymous visitor; the rest are demo accounts of SPEC section 7.
ROLES = [None, "admin@demo.local", "regulator@demo.local", "official.500103@demo.local",
         "inspector.500103@demo.local", "supplier1@demo.local", "resident@demo.local", "org@demo.local"]

#: Pages whose query string shows interface the bare URL does not: answers, filters, messages on bad input.
EXAMPLE_PAGES = [
    "/advisor?kind=household&gas_user=existing&over_100m=unknown&category=old_community&district=500103",
    "/advisor?kind=household&gas_user=new&over_100m=no&category=other",
    "/advisor?kind=household&gas_user=existing&over_100m=yes&category=other&district=500103",
    "/advisor?kind=organisation&organisation_kind=other&gas_user=existing&over_100m=yes&district=500103",
    "/advisor?kind=organisation&gas_user=new",
    "/advisor?kind=company&gas_user=soon&category=rich&district=NOPE",
    "/advisor?kind=household&gas_user=existing",
    "/districts/500103?device_type=leak_alarm&usage=household",
    "/districts/500103?device_type=leak_alarm&usage=commercial",
    "/districts/500103?device_type=boiler",
    "/districts/500103?device_type=self_closing_valve&usage=household",
]


def page_urls(app) -> list[str]:
    """Every GET route, with an existing-looking and a missing id or code in each argument."""
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/static", "/bootstrap", "/_stripe")):
            continue
        for value_int, value_code in (("1", "500103"), ("999999", "NOPE")):
            path = re.sub(r"<int:[a-z_]+>", value_int, rule.rule)
            path = re.sub(r"<any\([^)]*\):[a-z_]+>", "submit", path)
            path = re.sub(r"<[a-z_:]+>", value_code, path)
            urls.add(path)
    return sorted(urls)
