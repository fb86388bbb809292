"""The console's one WebSocket: subprotocol and permessage-deflate."""


def test_the_socket_negotiates_permessage_deflate(console):
    extensions = console.wait_js("return window.kubegale.extensions()")
    assert extensions.startswith("permessage-deflate"), extensions
    assert console.diagnostics("socket.protocol") == "kubegale.v1"
    assert console.diagnostics("client.hello.compression") is True
