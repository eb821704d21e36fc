"""The OpenAPI document stays true to the routes the app serves."""
import re

from server import openapi


def api_routes(app):
    """Return {(path in OpenAPI form, method)} for every /api/v1 route."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    return routes


def test_every_route_is_documented_and_nothing_else(app):
    described = {(path, method) for path, ops in openapi.described().items() for method in ops}
    assert api_routes(app) == described
    documented = {(path, method) for path, ops in openapi.document(app)["paths"].items() for method in ops}
    assert documented == described


def test_refs_resolve_and_errors_share_one_shape(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    schemas = doc["components"]["schemas"]
    text = str(doc)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in schemas
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_openapi_is_public(client):
    # test that the description needs no login (it holds no data)
    assert client.get("/api/v1/openapi.json").status_code == 200
