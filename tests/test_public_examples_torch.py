"""Held-out public PyTorch programs (pytorch/examples) run with only their imports changed
(`import pyengine as torch`, `import pyengine.nn as nn`...), tiny sizes and synthetic data in place
of the downloads: mnist/main.py (Conv2d, Adadelta, StepLR, nll_loss, DataLoader, save),
time_sequence_prediction/train.py (LSTMCell in float64, split, LBFGS with a closure, torch.save of
a NumPy array) and regression/main.py (smooth_l1_loss, in-place updates, tensors in format()).
The program text is kept; the changes are marked `# changed:`."""
from itertools import count

import numpy as np

import pyengine as torch
import pyengine.nn as nn
import pyengine.nn.functional as F
import pyengine.optim as optim
from pyengine.optim.lr_scheduler import StepLR


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(args, model, device, train_loader, optimizer, epoch, losses):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())  # changed: kept for the assertion
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))
            if args.dry_run:
                break


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(test_loader.dataset),
        100. * correct / len(test_loader.dataset)))
    return test_loss, correct


test.__test__ = False  # the program's own test(), not a pytest test


def test_pytorch_examples_mnist(tmp_path):
    class args:  # changed: argparse defaults, 3 epochs
        batch_size, test_batch_size, epochs, lr, gamma = 16, 64, 3, 1.0, 0.7
        seed, log_interval, dry_run, save_model = 1, 10, False, True
    use_cuda = torch.cuda.is_available()
    torch.manual_seed(args.seed)
    device = torch.device("cuda") if use_cuda else torch.device("cpu")
    train_kwargs = {'batch_size': args.batch_size, 'shuffle': True}
    test_kwargs = {'batch_size': args.test_batch_size}
    # changed: synthetic 28x28 "digits" (a bright row per class) in place of datasets.MNIST
    rng = np.random.default_rng(0)
    X = rng.random((64, 1, 28, 28)).astype("float32")
    Y = rng.integers(0, 10, 64)
    X[np.arange(64), 0, Y * 2, :] += 2.0
    X = (X - 0.1307) / 0.3081  # transforms.Normalize((0.1307,), (0.3081,))
    dataset1 = torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(Y))
    train_loader = torch.utils.data.DataLoader(dataset1, **train_kwargs)
    test_loader = torch.utils.data.DataLoader(dataset1, **test_kwargs)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    losses, results = [], []
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch, losses)
        results.append(test(model, device, test_loader))
        scheduler.step()
    if args.save_model:
        torch.save(model.state_dict(), tmp_path / "mnist_cnn.pt")
    assert results[-1][0] < 0.5 * results[0][0] and results[-1][1] >= 60
    assert abs(optimizer.param_groups[0]["lr"] - 0.7 ** 3) < 1e-9
    model2 = Net()
    model2.load_state_dict(torch.load(tmp_path / "mnist_cnn.pt"))
    assert test(model2, device, test_loader)[1] == results[-1][1]


class Sequence(nn.Module):
    def __init__(self):
        super(Sequence, self).__init__()
        self.lstm1 = nn.LSTMCell(1, 51)
        self.lstm2 = nn.LSTMCell(51, 51)
        self.linear = nn.Linear(51, 1)
        self.dummy_param = nn.Parameter(torch.empty(0))

    def forward(self, input, future = 0):
        outputs = []
        device = self.dummy_param.device
        h_t = torch.zeros(input.size(0), 51, dtype=torch.double).to(device)
        c_t = torch.zeros(input.size(0), 51, dtype=torch.double).to(device)
        h_t2 = torch.zeros(input.size(0), 51, dtype=torch.double).to(device)
        c_t2 = torch.zeros(input.size(0), 51, dtype=torch.double).to(device)

        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):# if we should predict the future
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        outputs = torch.cat(outputs, dim=1)
        return outputs


def test_pytorch_examples_time_sequence_prediction(tmp_path):
    # generate_sine_wave.py, changed: N=10 waves of L=30 steps (the program: 100 x 1000)
    np.random.seed(2)
    T = 20
    L = 30
    N = 10
    x = np.empty((N, L), 'int64')
    x[:] = np.array(range(L)) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
    data = np.sin(x / 1.0 / T).astype('float64')
    torch.save(data, open(tmp_path / 'traindata.pt', 'wb'))
    # train.py
    device = torch.device('cpu')
    np.random.seed(0)
    torch.manual_seed(0)
    data = torch.from_numpy(torch.load(tmp_path / 'traindata.pt')).to(device)
    input = data[3:, :-1]
    target = data[3:, 1:]
    test_input = data[:3, :-1]
    test_target = data[:3, 1:]
    seq = Sequence().to(device).double()
    criterion = nn.MSELoss().to(device)
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8)
    losses = []
    for i in range(1):  # changed: 1 step of 20 LBFGS iterations (the program: 15 steps)
        print('STEP: ', i)
        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            print('loss:', loss.item())
            losses.append(loss.item())  # changed: kept for the assertion
            loss.backward()
            return loss
        optimizer.step(closure)
        with torch.no_grad():
            future = 20  # changed: 20 (the program: 1000)
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            print('test loss:', loss.item())
            y = pred.cpu().detach().numpy()
    assert y.shape == (3, L - 1 + future) and y.dtype == np.float64
    assert losses[-1] < 0.2 * losses[0]
    assert loss.item() < 0.05


def test_pytorch_examples_regression():
    torch.manual_seed(0)  # changed: seeded
    POLY_DEGREE = 4
    W_target = torch.randn(POLY_DEGREE, 1) * 5
    b_target = torch.randn(1) * 5

    def make_features(x):
        """Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]."""
        x = x.unsqueeze(1)
        return torch.cat([x ** i for i in range(1, POLY_DEGREE+1)], 1)

    def f(x):
        """Approximated function."""
        return x.mm(W_target) + b_target.item()

    def poly_desc(W, b):
        """Creates a string description of a polynomial."""
        result = 'y = '
        for i, w in enumerate(W):
            result += '{:+.2f} x^{} '.format(w, i + 1)
        result += '{:+.2f}'.format(b[0])
        return result

    def get_batch(batch_size=32):
        """Builds a batch i.e. (x, f(x)) pair."""
        random = torch.randn(batch_size)
        x = make_features(random)
        y = f(x)
        return x, y

    fc = torch.nn.Linear(W_target.size(0), 1)
    for batch_idx in count(1):
        batch_x, batch_y = get_batch()
        fc.zero_grad()
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()
        output.backward()
        for param in fc.parameters():
            param.data.add_(-0.1 * param.grad)
        if loss < 1e-3 or batch_idx > 5000:  # changed: a cap so a failure cannot hang
            break
    print('Loss: {:.6f} after {} batches'.format(loss, batch_idx))
    print('==> Learned function:\t' + poly_desc(fc.weight.view(-1), fc.bias))
    print('==> Actual function:\t' + poly_desc(W_target.view(-1), b_target))
    assert loss < 1e-3
    np.testing.assert_allclose(fc.weight.detach().numpy().ravel(),
                               W_target.numpy().ravel(), atol=0.2)
    assert poly_desc(W_target.view(-1), b_target).startswith(
        'y = {:+.2f} x^1'.format(float(W_target.numpy()[0, 0])))
