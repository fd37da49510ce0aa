"""Sentiment classification of IMDB reviews with a 1-D convolution over word embeddings, in the
shape of Keras 2's examples/imdb_cnn.py.

Corpus program: written for npconv after the public example (keras-team/keras, Keras 2.x,
`examples/imdb_cnn.py`), keeping its Keras 2 API use: `keras.datasets.imdb.load_data` with
`num_words`, `keras.preprocessing.sequence.pad_sequences`, a Sequential model of
`Embedding(..., input_length=maxlen)`, Dropout, `Conv1D` (valid, relu), `GlobalMaxPooling1D`,
Dense + Dropout + Activation, a sigmoid output, binary cross-entropy with Adam, and `fit` with
`validation_data`. The example's own parameters are kept (5,000 words, 400 steps, 250 filters).
"""
from keras.datasets import imdb
from keras.layers import Activation, Conv1D, Dense, Dropout, Embedding, GlobalMaxPooling1D
from keras.models import Sequential
from keras.preprocessing import sequence

# parameters, as in the example
max_features = 5000
maxlen = 400
batch_size = 32
embedding_dims = 50
filters = 250
kernel_size = 3
hidden_dims = 250
epochs = 2

print("Loading data...")
(x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=max_features)
print(len(x_train), "train sequences")
print(len(x_test), "test sequences")

print("Pad sequences (samples x time)")
x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
x_test = sequence.pad_sequences(x_test, maxlen=maxlen)
print("x_train shape:", x_train.shape)
print("x_test shape:", x_test.shape)

print("Build model...")
model = Sequential()
# word indices -> dense vectors of embedding_dims
model.add(Embedding(max_features, embedding_dims, input_length=maxlen))
model.add(Dropout(0.2))
# filters that each look at kernel_size consecutive words
model.add(Conv1D(filters, kernel_size, padding="valid", activation="relu", strides=1))
# the strongest response of each filter anywhere in the review
model.add(GlobalMaxPooling1D())
model.add(Dense(hidden_dims))
model.add(Dropout(0.2))
model.add(Activation("relu"))
# one unit, squashed to the probability of a positive review
model.add(Dense(1))
model.add(Activation("sigmoid"))

model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
history = model.fit(x_train, y_train,
                    batch_size=batch_size,
                    epochs=epochs,
                    validation_data=(x_test, y_test))
