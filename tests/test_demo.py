"""seed-demo gives what SPEC section 7 promises, and makes the product worth trying."""

from collections import Counter

from sqlalchemy import select

from core.accounts.models import User
from registry.districts.household_queries import claim_in_force
from tests.conftest import district


def test_demo_data_meets_the_spec(app, client, db):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    districts = client.get("/api/v1/districts").get_json()["districts"]
    assert len(districts) == 41
    published = [d for d in districts if d["list"]["published"]]
    assert len(published) >= 5 and "500103" in {d["code"] for d in published}
    for entry in published:
        listing = client.get(f"/api/v1/districts/{entry['code']}/list").get_json()
        suppliers = listing["suppliers"]
        assert 2 <= len(suppliers) <= 5
        if len(suppliers) < 3:
            assert listing["exception_reason"]
        for supplier in suppliers:
            tiers = Counter(p["tier"] for p in supplier["products"])
            assert {"low", "mid", "high"} <= set(tiers), supplier["name"]
    yuzhong = client.get("/api/v1/districts/500103/list").get_json()
    assert 3 <= len(yuzhong["suppliers"]) <= 5
    assert client.get("/api/v1/products?per_page=100").get_json()["total"] >= 40
    resident = db.session.scalar(select(User).where(User.email == "resident@demo.local"))
    claim = claim_in_force(resident)
    assert (claim.district_id, claim.category) == (district("500103").id, "old_community")
    resident2 = db.session.scalar(select(User).where(User.email == "resident2@demo.local"))
    assert claim_in_force(resident2) is None
