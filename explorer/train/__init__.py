"""Train: runs started from the Train page, in the background, and your own images.

- ``run_records``: what a run is on disk (settings, name, status file, log);
- ``runs``: the lock, starting and stopping a job;
- ``run_worker``: the background process that trains each run with ``python -m vae.train``;
- ``run_view``: what the page shows of a run, computed from its files;
- ``train_panels``: the page's panels (settings form, live view, beta sweep); ``own_panels``: "Your images";
- ``state``, ``own_state``: the page's session state.
"""
