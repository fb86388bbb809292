"""Signing in with a pasted token, refusing a bad one, signing out."""

import pytest

from selenium.webdriver.common.by import By


def test_a_bad_token_is_refused_and_a_good_one_opens_the_console(console, gateway, admin_token, output_dir):
    driver = console.driver
    console.sign_out_storage()
    console.open()
    console.wait(lambda _: console.sign_in_form_ready())

    console.sign_in("not-a-token")
    error = console.wait(lambda d: d.find_element(By.ID, "sign-in-error").is_displayed()
                         and d.find_element(By.ID, "sign-in-error").text)
    assert "2001" in error, error
    assert driver.execute_script("return sessionStorage.getItem('kubegale.token')") is None
    driver.save_screenshot(str(output_dir / "sign-in-refused.png"))

    console.sign_in(admin_token)
    assert console.wait_connected() == "connected"
    assert console.find("#app").is_displayed()
    assert not driver.find_element(By.ID, "sign-in").is_displayed()
    assert driver.find_element(By.ID, "user-badge").text == "browser-admin · admin"
    # The token is kept for the tab: a reload signs in again without asking.
    assert driver.execute_script("return sessionStorage.getItem('kubegale.token')") == admin_token
    console.open()
    assert console.wait_connected() in ("connected", "resumed")
    console.find("#pods-table")


# Known race in swift-websocket 1.x (WSCore `WebSocketHandler`): its `write(frame:)` does not look
# at the close state, so when the browser closes the socket while the gateway's writer task is
# writing a frame (through the deflate extension), the library's close reply, written from its
# reader task, can go first and the frame after it; Chrome then reports "Data frame received after
# close". The gateway drops whatever it still had queued once the peer closed
# (`OutboundQueue.finishAfterPeerClose`); a write already inside the library it cannot recall.
@pytest.mark.tolerates("Data frame received after close")
def test_sign_out_forgets_the_token(console):
    driver = console.driver
    console.click("#sign-out")
    console.wait(lambda _: console.sign_in_form_ready())
    assert not driver.find_element(By.ID, "app").is_displayed()
    assert driver.execute_script("return sessionStorage.getItem('kubegale.token')") is None
    assert driver.execute_script("return window.kubegale") is None


def test_a_viewer_sees_no_changing_actions(console, gateway, cluster_id):
    viewer = gateway.token(role="viewer", subject="browser-viewer")
    console.ensure_signed_in(viewer)
    assert console.find("#user-badge").text == "browser-viewer · viewer"
    console.go("pods", cluster_id=cluster_id, namespace="demo")
    console.wait_synced("pods-table")
    actions = {button.get_attribute("data-action")
               for button in console.driver.find_elements(By.CSS_SELECTOR, "#pods-table tbody button[data-action]")}
    assert actions == {"logs"}
    console.open_detail("pods-table", console.row_names("pods-table")[0])
    tabs = [tab.get_attribute("id") for tab in console.driver.find_elements(By.CSS_SELECTOR, "#detail [role=tab]")]
    assert tabs == ["tab-yaml", "tab-logs", "tab-events"]
    assert not console.driver.find_elements(By.CSS_SELECTOR, "#detail-delete, #detail-restart")


def test_an_expiring_token_signs_the_console_out(console, gateway):
    short = gateway.token(role="viewer", subject="browser-brief", ttl="4s")
    console.ensure_signed_in(short)
    assert console.find("#user-badge").text == "browser-brief · viewer"
    # The gateway ends the socket when the token expires (2002); without a way to get a new
    # token the console goes back to the sign-in form and says why.
    console.wait(lambda _: console.sign_in_form_ready(), timeout=20, message="still signed in after the token expired")
    assert "2002" in console.find("#sign-in-error").text
    assert console.driver.execute_script("return sessionStorage.getItem('kubegale.token')") is None
