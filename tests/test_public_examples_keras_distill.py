"""keras-io's knowledge distillation (vision/knowledge_distillation.py) pattern, tiny: a Model
subclass with no call() of its own whose train_step / test_step run a teacher and a student;
fit and evaluate take (x, y) without checking y against an output the model does not have
(they used to call the missing call() to get output shapes)."""
import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers


class Distiller(keras.Model):
    def __init__(self, student, teacher):
        super().__init__()
        self.teacher, self.student = teacher, student

    def compile(self, optimizer, metrics, student_loss_fn, distillation_loss_fn, alpha=0.1,
                temperature=3):
        super().compile(optimizer=optimizer, metrics=metrics)
        self.student_loss_fn, self.distillation_loss_fn = student_loss_fn, distillation_loss_fn
        self.alpha, self.temperature = alpha, temperature

    def train_step(self, data):
        x, y = data
        teacher_predictions = self.teacher(x, training=False)
        with tf.GradientTape() as tape:
            student_predictions = self.student(x, training=True)
            student_loss = self.student_loss_fn(y, student_predictions)
            distillation_loss = self.distillation_loss_fn(
                tf.nn.softmax(teacher_predictions / self.temperature, axis=1),
                tf.nn.softmax(student_predictions / self.temperature, axis=1))
            loss = self.alpha * student_loss + (1 - self.alpha) * distillation_loss
        trainable_vars = self.student.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, trainable_vars), trainable_vars))
        self.compiled_metrics.update_state(y, student_predictions)
        results = {m.name: m.result() for m in self.metrics}
        results.update({"student_loss": student_loss, "distillation_loss": distillation_loss})
        return results

    def test_step(self, data):
        x, y = data
        y_prediction = self.student(x, training=False)
        self.compiled_metrics.update_state(y, y_prediction)
        results = {m.name: m.result() for m in self.metrics}
        results.update({"student_loss": self.student_loss_fn(y, y_prediction)})
        return results


def convnet(filters, name):
    return keras.Sequential([keras.Input(shape=(8, 8, 1)),
                             layers.Conv2D(filters, (3, 3), strides=(2, 2), padding="same"),
                             layers.LeakyReLU(0.2),
                             layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
                             layers.Flatten(), layers.Dense(3)], name=name)


def test_distiller_without_call_fits_and_evaluates():
    tf.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(48, 8, 8, 1)).astype("float32")
    y = (x[:, :4].mean(axis=(1, 2, 3)) * 3).astype("int64").clip(0, 2)
    teacher, student = convnet(8, "teacher"), convnet(2, "student")
    teacher.compile(keras.optimizers.Adam(),
                    keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    teacher.fit(x, y, epochs=2, verbose=0)
    t0 = [w.numpy().copy() for w in teacher.weights]
    s0 = [w.numpy().copy() for w in student.weights]
    distiller = Distiller(student=student, teacher=teacher)
    distiller.compile(optimizer=keras.optimizers.Adam(1e-2),
                      metrics=[keras.metrics.SparseCategoricalAccuracy()],
                      student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      distillation_loss_fn=keras.losses.KLDivergence(), alpha=0.1,
                      temperature=10)
    hist = distiller.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert hist.history["student_loss"][-1] < hist.history["student_loss"][0]
    assert all(np.isfinite(hist.history["distillation_loss"]))
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(t0, teacher.weights))
    assert not all(np.array_equal(a, w.numpy()) for a, w in zip(s0, student.weights))
    res = distiller.evaluate(x, y, verbose=0, return_dict=True)
    assert 0.0 <= res["sparse_categorical_accuracy"] <= 1.0 and res["student_loss"] > 0


def test_model_without_call_and_default_train_step_still_says_so():
    class NoCall(keras.Model):
        pass
    m = NoCall()
    m.compile("sgd", "mse")
    with pytest.raises(NotImplementedError, match=r"\[NoCall\] a subclassed Model must define"):
        m.fit(np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32), verbose=0)
