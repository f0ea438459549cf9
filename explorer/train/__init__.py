"""The Train feature: training runs started from the app, one job at a time per runs folder, and its page's panels.

- ``runs``: start and stop a job (the only places that settle a dead job on disk), ``scan`` re-exported;
- ``run_scan``: ``scan``, the one read of the runs folder pages make (a frozen ``RunsView``; changes nothing);
- ``run_lock``: the flock the job's worker holds for its whole life, and the job's description in it;
- ``run_settle``: writing down what a dead job left (its runs' states, its process group, marker files);
- ``run_records``: a run's settings (``RunSpec``), name and status file, read totally (``RunFileError``);
- ``run_worker``: the job's process (``python -m explorer.train.run_worker``): trains, evaluates, reports;
- ``run_view``: progress and latent statistics of a run, from its checkpoint (no Streamlit);
- ``train_panels``, ``own_panels``: the page's sections (settings, live view, beta sweep; your own images);
- ``state``, ``own_state``: the page's session-state keys.
"""
