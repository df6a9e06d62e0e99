"""NASNetMobile / NASNetLarge (Zoph et al. 2018, NASNet-A) as keras.applications builds them: a
strided 'stem_conv1', two stem reduction cells ('reduction_conv_1_stem_1' ...), then three stacks
of normal cells ('normal_conv_1_0' ...) separated by reduction cells ('reduction_concat_reduce_4'
...), a relu and the head. Each cell takes the two previous cells' outputs; the older one is
adjusted to the newer one's size (a factorised 2x reduction, 'adjust_conv_1_<id>') or width (a
1x1 projection, 'adjust_conv_projection_<id>'). 5,326,716 (Mobile) and 88,949,818 (Large)
parameters with the top. Inputs are scaled to [-1, 1] (preprocess_input). The input size must be
known (NASNetMobile without the top defaults to 224x224, as Keras; NASNetLarge needs
input_shape): see NASNet."""
from .. import layers
from . import common

_BN = dict(axis=-1, momentum=0.9997, epsilon=1e-3)


def _separable_conv_block(ip, filters, kernel_size=(3, 3), strides=(1, 1), block_id=None):
    """Twice [relu -> SeparableConv2D -> BatchNormalization], the first strided when asked."""
    x = layers.Activation("relu")(ip)
    if strides == (2, 2):
        x = layers.ZeroPadding2D(padding=common.correct_pad(x, kernel_size),
                                 name=f"separable_conv_1_pad_{block_id}")(x)
    x = layers.SeparableConv2D(filters, kernel_size, strides=strides,
                               padding="valid" if strides == (2, 2) else "same", use_bias=False,
                               name=f"separable_conv_1_{block_id}")(x)
    x = layers.BatchNormalization(name=f"separable_conv_1_bn_{block_id}", **_BN)(x)
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(filters, kernel_size, padding="same", use_bias=False,
                               name=f"separable_conv_2_{block_id}")(x)
    return layers.BatchNormalization(name=f"separable_conv_2_bn_{block_id}", **_BN)(x)


def _adjust_block(p, ip, filters, block_id, p_is_larger):
    """The previous cell's output p made to match ip: halved (two 1x1 convolutions on offset
    strided samples, concatenated) when p is twice ip's size, else 1x1-projected to `filters`
    when its width differs. p_is_larger replaces Keras' static width comparison, which an input
    of unknown size (None == None) would get wrong."""
    if p is None:
        return ip
    if p_is_larger:
        p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                     name=f"adjust_avg_pool_1_{block_id}")(p)
        p1 = layers.Conv2D(filters // 2, (1, 1), padding="same", use_bias=False,
                           kernel_initializer="he_normal", name=f"adjust_conv_1_{block_id}")(p1)
        p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)  # shifted by one pixel
        p2 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                     name=f"adjust_avg_pool_2_{block_id}")(p2)
        p2 = layers.Conv2D(filters // 2, (1, 1), padding="same", use_bias=False,
                           kernel_initializer="he_normal", name=f"adjust_conv_2_{block_id}")(p2)
        p = layers.concatenate([p1, p2], axis=-1)
        return layers.BatchNormalization(name=f"adjust_bn_{block_id}", **_BN)(p)
    if p.shape[-1] != filters:
        p = layers.Activation("relu")(p)
        p = layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same", use_bias=False,
                          kernel_initializer="he_normal",
                          name=f"adjust_conv_projection_{block_id}")(p)
        p = layers.BatchNormalization(name=f"adjust_bn_{block_id}", **_BN)(p)
    return p


def _squeeze(ip, filters, kind, block_id):
    """relu -> 1x1 convolution -> BatchNormalization: a cell's view of its newer input."""
    h = layers.Activation("relu")(ip)
    h = layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same", use_bias=False,
                      kernel_initializer="he_normal", name=f"{kind}_conv_1_{block_id}")(h)
    return layers.BatchNormalization(name=f"{kind}_bn_1_{block_id}", **_BN)(h)


def _normal_a_cell(ip, p, filters, block_id, p_is_larger=False):
    p = _adjust_block(p, ip, filters, block_id, p_is_larger)
    h = _squeeze(ip, filters, "normal", block_id)
    x1 = layers.add([_separable_conv_block(h, filters, (5, 5),
                                           block_id=f"normal_left1_{block_id}"),
                     _separable_conv_block(p, filters, block_id=f"normal_right1_{block_id}")],
                    name=f"normal_add_1_{block_id}")
    x2 = layers.add([_separable_conv_block(p, filters, (5, 5),
                                           block_id=f"normal_left2_{block_id}"),
                     _separable_conv_block(p, filters, (3, 3),
                                           block_id=f"normal_right2_{block_id}")],
                    name=f"normal_add_2_{block_id}")
    x3 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same",
                                 name=f"normal_left3_{block_id}")(h)
    x3 = layers.add([x3, p], name=f"normal_add_3_{block_id}")
    x4 = layers.add([layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same",
                                             name=f"normal_left4_{block_id}")(p),
                     layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same",
                                             name=f"normal_right4_{block_id}")(p)],
                    name=f"normal_add_4_{block_id}")
    x5 = _separable_conv_block(h, filters, block_id=f"normal_left5_{block_id}")
    x5 = layers.add([x5, h], name=f"normal_add_5_{block_id}")
    x = layers.concatenate([p, x1, x2, x3, x4, x5], axis=-1, name=f"normal_concat_{block_id}")
    return x, ip


def _reduction_a_cell(ip, p, filters, block_id, p_is_larger=False):
    p = _adjust_block(p, ip, filters, block_id, p_is_larger)
    h = _squeeze(ip, filters, "reduction", block_id)
    h3 = layers.ZeroPadding2D(padding=common.correct_pad(h, 3),
                              name=f"reduction_pad_1_{block_id}")(h)
    x1 = layers.add([_separable_conv_block(h, filters, (5, 5), strides=(2, 2),
                                           block_id=f"reduction_left1_{block_id}"),
                     _separable_conv_block(p, filters, (7, 7), strides=(2, 2),
                                           block_id=f"reduction_right1_{block_id}")],
                    name=f"reduction_add_1_{block_id}")
    x2 = layers.add([layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                                         name=f"reduction_left2_{block_id}")(h3),
                     _separable_conv_block(p, filters, (7, 7), strides=(2, 2),
                                           block_id=f"reduction_right2_{block_id}")],
                    name=f"reduction_add_2_{block_id}")
    x3 = layers.add([layers.AveragePooling2D((3, 3), strides=(2, 2), padding="valid",
                                             name=f"reduction_left3_{block_id}")(h3),
                     _separable_conv_block(p, filters, (5, 5), strides=(2, 2),
                                           block_id=f"reduction_right3_{block_id}")],
                    name=f"reduction_add3_{block_id}")
    x4 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same",
                                 name=f"reduction_left4_{block_id}")(x1)
    x4 = layers.add([x2, x4])
    x5 = layers.add([_separable_conv_block(x1, filters, (3, 3),
                                           block_id=f"reduction_left4_{block_id}"),
                     layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                                         name=f"reduction_right5_{block_id}")(h3)],
                    name=f"reduction_add4_{block_id}")
    x = layers.concatenate([x2, x3, x4, x5], axis=-1, name=f"reduction_concat_{block_id}")
    return x, ip


def NASNet(input_shape=None, penultimate_filters=4032, num_blocks=6, stem_block_filters=96,
           skip_reduction=True, filter_multiplier=2, include_top=True, weights="imagenet",
           input_tensor=None, pooling=None, classes=1000, default_size=None,
           classifier_activation="softmax"):
    """The shared builder (Keras' arguments): NASNet-A (num_blocks @ penultimate_filters)."""
    common.check_weights(weights, include_top, classes, "NASNet")
    common.check_pooling(pooling, "NASNet")
    if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
        raise ValueError(f"[NASNet] with ImageNet weights the input_shape must be static (no "
                         f"None entries). Received: input_shape={input_shape}")
    if penultimate_filters % (24 * filter_multiplier ** 2):
        raise ValueError(f"[NASNet] penultimate_filters must be a multiple of 24 * "
                         f"filter_multiplier ** 2. Received: "
                         f"penultimate_filters={penultimate_filters}")
    default_size = 331 if default_size is None else default_size
    shape = common.input_shape_for(input_shape, default_size, 32, include_top, weights,
                                   "NASNet")
    if input_tensor is not None and input_shape is None:
        shape = tuple(input_tensor.shape[1:])
    if shape[0] is None or shape[1] is None:
        # Keras builds such a graph, but its reduction cells pad for an even size when the size
        # is unknown, so it runs only for some sizes (331 yes, 64 no); pyengine builds a graph
        # by running it, which needs one size
        raise NotImplementedError(f"[NASNet] needs a known input size: pass input_shape=("
                                  f"{default_size}, {default_size}, 3) or another size. "
                                  f"Received: input_shape={shape}")
    kind = {224: "mobile", 331: "large"}.get(default_size)
    weights_file = f"nasnet_{kind}{'' if include_top else '_no_top'}.weights.npz"
    common.validate_activation(classifier_activation, weights, include_top, "NASNet")
    if weights == "imagenet":
        if kind is None:
            raise ValueError("[NASNet] ImageNet weights can only be loaded with NASNetLarge "
                             "or NASNetMobile")
        common.imagenet_weights_path("NASNet", weights_file)  # fail before building
    inputs = common.inputs_for(input_tensor, shape)
    filters = penultimate_filters // 24

    x = layers.Conv2D(stem_block_filters, (3, 3), strides=(2, 2), padding="valid",
                      use_bias=False, kernel_initializer="he_normal", name="stem_conv1")(inputs)
    x = layers.BatchNormalization(name="stem_bn1", **_BN)(x)
    # after a reduction cell the previous output (ip) is twice the new one's size
    x, p = _reduction_a_cell(x, None, filters // filter_multiplier ** 2, "stem_1")
    x, p = _reduction_a_cell(x, p, filters // filter_multiplier, "stem_2", p_is_larger=True)
    larger = True
    for stage in range(3):
        width = filters * filter_multiplier ** stage
        for i in range(num_blocks):
            block_id = i if stage == 0 else stage * num_blocks + i + 1  # Keras' numbering
            x, p = _normal_a_cell(x, p, width, str(block_id), larger)
            larger = False
        if stage < 2:
            reduced_width = filters * filter_multiplier ** (stage + 1)
            x, p0 = _reduction_a_cell(x, p, reduced_width,
                                      f"reduce_{(stage + 1) * num_blocks}")
            # Keras: skip_reduction keeps the last normal cell's input as the older input (same
            # size as the reduction's input); otherwise the reduction's own input
            p = p if skip_reduction else p0
            larger = True
    x = layers.Activation("relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    return common.finish(inputs, x, "NASNet", weights, weights_file)


def NASNetMobile(input_shape=None, include_top=True, weights="imagenet", input_tensor=None,
                 pooling=None, classes=1000, classifier_activation="softmax"):
    """NASNet-A (4 @ 1056), 224x224 by default (also without the top, as Keras)."""
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return NASNet(input_shape, penultimate_filters=1056, num_blocks=4, stem_block_filters=32,
                  skip_reduction=False, filter_multiplier=2, include_top=include_top,
                  weights=weights, input_tensor=input_tensor, pooling=pooling, classes=classes,
                  default_size=224, classifier_activation=classifier_activation)


def NASNetLarge(input_shape=None, include_top=True, weights="imagenet", input_tensor=None,
                pooling=None, classes=1000, classifier_activation="softmax"):
    """NASNet-A (6 @ 4032), 331x331 by default."""
    return NASNet(input_shape, penultimate_filters=4032, num_blocks=6, stem_block_filters=96,
                  skip_reduction=True, filter_multiplier=2, include_top=include_top,
                  weights=weights, input_tensor=input_tensor, pooling=pooling, classes=classes,
                  default_size=331, classifier_activation=classifier_activation)


def preprocess_input(x, data_format=None):
    return common.preprocess_input(x, "tf", data_format)


decode_predictions = common.decode_predictions
