"""Fixtures of the browser tests: a `kubegale sim` cluster, a `kubegale serve` gateway serving
the console from the working tree with the simulator registered, and one headless Chromium
(Debian's chromium and chromedriver through selenium) signed in to it.

Environment: KUBEGALE_BIN (the kubegale binary; default .build/debug/kubegale) and
KUBEGALE_BROWSER_OUTPUT (screenshots, browser and server logs; default .test-output/browser)."""

import os
import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from console_page import ConsolePage
from servers import Gateway, Simulator

REPO = Path(__file__).resolve().parents[2]
WINDOW = (1280, 900)

# Browser messages that are expected where a test takes the gateway away on purpose.
DISRUPTION_MESSAGES = ("WebSocket connection to", "ERR_CONNECTION_REFUSED", "net::ERR_")


def pytest_configure(config):
    config.addinivalue_line("markers", "disruptive: stops the gateway or the network; runs after the other tests")
    config.addinivalue_line("markers", "tolerates(*texts): console errors containing these texts are expected (say why)")


def pytest_collection_modifyitems(items):
    # Tests that restart the gateway or drop sockets run last, whatever their file's name.
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)


def kubegale_binary():
    binary = Path(os.environ.get("KUBEGALE_BIN", REPO / ".build" / "debug" / "kubegale"))
    if not binary.is_absolute():
        binary = REPO / binary
    if not binary.is_file():
        pytest.exit(f"{binary} not found: build it first (swift build --product kubegale)", returncode=2)
    return binary


@pytest.fixture(scope="session")
def output_dir():
    directory = Path(os.environ.get("KUBEGALE_BROWSER_OUTPUT", REPO / ".test-output" / "browser"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="session")
def simulator(tmp_path_factory, output_dir):
    sim = Simulator(kubegale_binary(), tmp_path_factory.mktemp("sim"), output_dir).start()
    yield sim
    sim.stop()


@pytest.fixture(scope="session")
def gateway(tmp_path_factory, output_dir):
    console_dir = os.environ.get("KUBEGALE_CONSOLE_DIR")
    server = Gateway(
        kubegale_binary(), tmp_path_factory.mktemp("gateway-data"), output_dir, Path(console_dir) if console_dir else None
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def admin_token(gateway):
    return gateway.token(role="admin", subject="browser-admin")


@pytest.fixture(scope="session")
def cluster_id(gateway, simulator, admin_token):
    """The simulator, registered through the API like any cluster."""
    envelope = gateway.api("POST", "/clusters", admin_token, body={
        "name": "kubesim", "description": "KubeSim for the browser tests", "kubeconfig": simulator.kubeconfig.read_text()})
    assert envelope["code"] == 0, envelope
    return envelope["data"]["id"]


@pytest.fixture(scope="session")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def driver(output_dir, downloads):
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.exit("chromium and chromedriver are needed: apt-get install chromium chromium-driver", returncode=2)
    os.environ["SE_OFFLINE"] = "true"  # selenium must not try to download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={WINDOW[0]},{WINDOW[1]}", "--lang=en-US"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
        "safebrowsing.enabled": False,
    })
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=shutil.which("chromedriver"), log_output=str(output_dir / "chromedriver.log"))
    browser = webdriver.Chrome(service=service, options=options)
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    yield browser
    browser.quit()


@pytest.fixture
def console(gateway, cluster_id, admin_token, driver, request, output_dir):  # the browser goes before the gateway
    """The console, signed in with an admin token, at its default view. Afterwards: a
    screenshot of the test's final view, and no errors in the browser's console."""
    driver.set_window_size(*WINDOW)
    page = ConsolePage(driver, gateway.url)
    page.ensure_signed_in(admin_token)
    driver.get_log("browser")  # start this test with an empty log
    yield page
    driver.save_screenshot(str(output_dir / f"{request.node.name}.png"))
    entries = driver.get_log("browser")
    with open(output_dir / "browser-console.log", "a") as log:
        for entry in entries:
            log.write(f"{request.node.name} {entry['level']} {entry['message']}\n")
    tolerated = DISRUPTION_MESSAGES if request.node.get_closest_marker("disruptive") else ()
    marker = request.node.get_closest_marker("tolerates")
    if marker:
        tolerated = (*tolerated, *marker.args)
    errors = [entry["message"] for entry in entries
              if entry["level"] == "SEVERE" and not any(text in entry["message"] for text in tolerated)]
    assert not errors, f"errors in the browser console: {errors}"
