def test_healthz_reports_database(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json == {"status": "ok", "database": "ok"}


def test_security_headers_on_every_response(client):
    r = client.get("/api/v1/categories")
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
