"""pycore: a convolutional network in pure NumPy, the same files under CPython and Pyodide.

    layers      forward/backward pairs: Conv2D, MaxPool2D, ReLU, Dropout, Flatten, Dense, softmax loss
    network     Network (named layers, params, grads, predict) and mnist_architecture
    weights     .npz bytes <-> network, validated, no pickle
    optim       SGD with momentum and the learning-rate schedules (training and teaching)
    preprocess  canvas RGBA -> MNIST-style 28x28
    components  connected pieces of ink (pictures' surroundings, number mode's digits)
    inference   Classifier: canvas pixels -> probabilities + the 28x28 the network saw
    teach       Tutor: the network adapted to a user's examples (dense layers fine-tuned, replay), gated by nearness
"""
__version__ = "1.0.0"
