"""The overview: the cluster's size and load now, and CPU and memory drawn over time."""

from selenium.webdriver.common.by import By


def test_overview_shows_the_cluster_and_draws_its_metrics(console, simulator, cluster_id):
    console.go("overview", cluster_id=cluster_id)
    nodes = simulator.get_json("nodes")["items"]
    console.wait(lambda d: d.find_element(By.ID, "card-nodes").text == f"{len(nodes)}/{len(nodes)}",
                 message="the nodes card does not show the cluster's nodes")
    console.wait(lambda d: d.find_element(By.ID, "card-cpu").text.endswith("%"), message="no CPU usage")
    # The live stream adds points to both charts (a sample every five seconds).
    for chart in ("cpu-chart", "memory-chart"):
        console.wait(lambda d: int(d.find_element(By.ID, chart).get_attribute("data-points")) >= 2, timeout=15,
                     message=f"#{chart} got no live samples")
        path = console.driver.find_element(By.CSS_SELECTOR, f"#{chart} path.series").get_attribute("d")
        assert path.startswith("M") and path.count("L") >= 1, path


def test_cluster_list_shows_the_registered_cluster(console, cluster_id):
    console.go("clusters")
    row = console.find(f'#clusters-table tr[data-id="{cluster_id}"]')
    assert row.get_attribute("data-name") == "kubesim"
    assert row.find_element(By.CSS_SELECTOR, ".badge").text in ("active", "connected")
    assert row.find_element(By.CSS_SELECTOR, "td.mono").text == "v1.32.4"
