"""The classroom hub: Unix accounts and course copies (`accounts`), a personal nbgrader exchange
(`exchange`) and a small client for the hub's REST API and kernels (`client`). See hub/README.md."""
