"""A supplier's public fields (SPEC 7 names) and the diff between list versions.

A product's public fields come from catalog.public_fields.product_public (the one serialiser).
"""

from __future__ import annotations


def supplier_public_dict(supplier) -> dict:
    """A supplier's public fields exactly as SPEC 7 names them (never staff or licence data)."""
    return {
        "id": supplier.id,
        "name": supplier.legal_name,
        "credit_code": supplier.credit_code,
        "qualification": supplier.qualification_name,
        "qualification_level": supplier.qualification_level,
        "contact_person": supplier.contact_person,
        "phone": supplier.phone,
        "address": supplier.address,
        "service_content": supplier.service_content,
    }


def _index(snapshot: dict | None):
    suppliers, products = {}, {}
    for s in (snapshot or {}).get("suppliers", []):
        suppliers[s["id"]] = s
        for p in s.get("products", []):
            products[p["id"]] = {**p, "supplier_id": s["id"], "supplier_name": s["name"]}
    return suppliers, products


def _brief_supplier(s: dict) -> dict:
    return {"id": s["id"], "name": s["name"]}


def _brief_product(p: dict) -> dict:
    return {"id": p["id"], "model": p["model"], "brand": p["brand"], "tier": p["tier"],
            "device_type": p["device_type"], "supplier_id": p["supplier_id"], "supplier_name": p["supplier_name"]}


def diff(old: dict | None, new: dict | None) -> dict:
    """What changed from snapshot `old` to `new`: suppliers and products added/removed, price changes."""
    old_s, old_p = _index(old)
    new_s, new_p = _index(new)
    changes = []
    for pid in sorted(set(old_p) & set(new_p)):
        before, after = old_p[pid], new_p[pid]
        fields = {f: [before[f], after[f]] for f in ("price_fen", "install_fee_fen") if before[f] != after[f]}
        if fields:
            changes.append({**_brief_product(after), **fields})
    return {
        "added": {"suppliers": [_brief_supplier(new_s[i]) for i in sorted(set(new_s) - set(old_s))],
                  "products": [_brief_product(new_p[i]) for i in sorted(set(new_p) - set(old_p))]},
        "removed": {"suppliers": [_brief_supplier(old_s[i]) for i in sorted(set(old_s) - set(new_s))],
                    "products": [_brief_product(old_p[i]) for i in sorted(set(old_p) - set(new_p))]},
        "price_changes": changes,
    }


def is_empty_diff(d: dict) -> bool:
    return not any([*d["added"].values(), *d["removed"].values(), d["price_changes"]])
