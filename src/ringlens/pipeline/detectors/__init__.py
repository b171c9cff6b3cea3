"""The run's detectors, one module each (see :mod:`ringlens.pipeline.registry`).

Every module here is imported by the registry; a module registers its detector with
:func:`ringlens.pipeline.registry.register`.
"""
