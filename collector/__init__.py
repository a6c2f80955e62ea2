"""footfall collector: the central side that stores what devices publish and serves the dashboard.

It needs no OpenCV and no ONNX Runtime: it imports only the payload models of
`agent.publish` (pydantic) and its own modules.
"""
