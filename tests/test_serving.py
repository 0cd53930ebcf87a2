"""sidebyside.serving: the local model server used by course lesson 08."""

import json
import socket
import urllib.error
import urllib.request

import numpy as np
import pytest

from sidebyside.serving import ModelServer, post_json, serve


def test_predict_round_trip_on_loopback_free_port():
    with serve(lambda x: x * 2 + 1) as server:
        assert server.host == "127.0.0.1" and server.port > 0 and server.running
        reply = post_json(server.url + "/predict", {"inputs": [[1.0, 2.0], [3.0, 4.0]]})
    assert reply == {"outputs": [[3.0, 5.0], [7.0, 9.0]]}


def test_predict_receives_float32_numpy_and_may_return_anything_array_like():
    seen = {}

    def predict(x):
        seen["type"], seen["dtype"] = type(x), x.dtype
        return x.sum(axis=1).tolist()  # a plain list is fine too

    with serve(predict) as server:
        assert post_json(server.url + "/predict", {"inputs": [[1, 2, 3]]}) == {"outputs": [6.0]}
    assert seen == {"type": np.ndarray, "dtype": np.float32}


def test_health_and_unknown_routes():
    with serve(lambda x: x) as server:
        with urllib.request.urlopen(server.url + "/health", timeout=5) as r:
            assert json.loads(r.read()) == {"status": "ok"}
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(server.url + "/nope", timeout=5)
        assert err.value.code == 404


def test_bad_payload_is_400_and_model_error_is_500_and_server_keeps_serving():
    def predict(x):
        if x.shape[-1] != 2:
            raise ValueError("expected 2 features")
        return x

    with serve(predict) as server:
        with pytest.raises(urllib.error.HTTPError) as err:
            post_json(server.url + "/predict", {"wrong_key": [1]})
        assert err.value.code == 400
        with pytest.raises(urllib.error.HTTPError) as err:
            post_json(server.url + "/predict", {"inputs": [[1.0, 2.0, 3.0]]})
        assert err.value.code == 500
        assert "expected 2 features" in json.loads(err.value.read())["error"]
        assert post_json(server.url + "/predict", {"inputs": [[1.0, 2.0]]}) == {"outputs": [[1.0, 2.0]]}


def test_stop_frees_the_port_and_is_idempotent():
    server = ModelServer(lambda x: x).start()
    port = server.port
    server.stop()
    server.stop()
    assert not server.running
    with socket.socket() as s:  # the port can be bound again
        s.bind(("127.0.0.1", port))
