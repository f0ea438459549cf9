"""The in-browser side every component shares: ``components`` registers a feature's JS module with the libraries in
front of it (``runner.js``, ``mount.js``, ``canvas.js``, ``buttons.css``); ``weights`` exports a model for
``runner.js``; ``contract`` declares the data parts all components share, ``contracts`` writes every feature's
contract as the ``contract.d.ts`` its JS is type-checked against, ``check`` checks a payload against its contract,
``packing`` packs arrays for ``ExplorerMount.unpack``. README.md maps every browser file of every feature.
"""
