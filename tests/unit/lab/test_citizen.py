"""Reading the portal's forms the way a phone's browser does."""

from __future__ import annotations

import pytest

from netops.lab.citizen import LoginError, free_form, parse_forms

LOGIN_PAGE = """<!doctype html><html lang="id"><body>
<form method="post" action="/login">
<input type="hidden" name="csrf" value="tok&amp;en"><input type="hidden" name="mac" value="AA:BB">
<input type="hidden" name="method" value="voucher">
<input type="text" id="code" name="code" value="" required>
<button type="submit">Masuk dengan voucher</button>
</form>
<form method="post" action="/login">
<input type="hidden" name="csrf" value="tok&amp;en"><input type="hidden" name="mac" value="AA:BB">
<input type="hidden" name="method" value="free">
<label><input type="checkbox" name="accept" value="yes" required> Saya setuju</label>
<button type="submit" class="btn2">Mulai internet gratis</button>
</form>
</body></html>"""

HANDOFF_PAGE = """<form id="handoff" method="post" action="http://127.0.0.1:8090/c/aa/login">
<input type="hidden" name="username" value="ct-aabb"><input type="hidden" name="password"
value="0f1e"><input type="hidden" name="dst" value="http://127.0.0.1:8080/status?lang=id">
<button type="submit">Lanjut</button></form>"""


def test_every_form_is_read_with_its_hidden_values_and_entities_decoded() -> None:
    forms = parse_forms(LOGIN_PAGE)
    assert len(forms) == 2
    assert forms[0].fields == {"csrf": "tok&en", "mac": "AA:BB", "method": "voucher", "code": ""}
    assert (forms[0].action, forms[0].method) == ("/login", "post")


def test_the_free_wifi_form_is_the_one_with_the_terms_checkbox() -> None:
    form = free_form(parse_forms(LOGIN_PAGE))
    assert form.fields["method"] == "free"
    assert form.checkboxes == {"accept": "yes"}


def test_a_page_without_a_terms_form_is_a_clear_error() -> None:
    with pytest.raises(LoginError, match="no free Wi-Fi"):
        free_form(parse_forms("<form><input name='code'></form>"))


def test_the_handoff_form_carries_username_password_and_destination() -> None:
    (form,) = parse_forms(HANDOFF_PAGE)
    assert form.action == "http://127.0.0.1:8090/c/aa/login"
    assert form.fields == {
        "username": "ct-aabb",
        "password": "0f1e",
        "dst": "http://127.0.0.1:8080/status?lang=id",
    }


def test_inputs_outside_a_form_are_ignored() -> None:
    assert parse_forms("<input name='stray' value='x'><form action='/a'></form>")[0].fields == {}
