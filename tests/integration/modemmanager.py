# SPDX-License-Identifier: LGPL-2.1-or-later
"""python-dbusmock template for ModemManager (Debian's dbusmock has none): modems with ports
(the QMI one among them) and a SIM with its SimIdentifier, announced through the object
manager as ModemManager does.

    AddModem(device, sim_identifier, ports a(su)) -> modem path
    RemoveModem(path)
    AddSms(modem, number, data ay) -> SMS path: a received SMS with 8-bit data (ModemManager
        has already reassembled it and dropped the UDH port IEs), announced with Added
    SetSendError(name) : Sms.Send fails with that D-Bus error from now on ("" to succeed)
    AddDisabledModem(device, sim_identifier, ports a(su)) -> modem path, without Messaging
    EnableModem(path): its Messaging interface appears, announced with InterfacesAdded

Messaging.Create(a{sv}) makes an SMS object with the properties given (Number, Text, Data,
Class) whose Send marks it sent; the calls can be read back with the mock's GetCalls.
"""

import dbus

from dbusmock import MOCK_IFACE
import dbusmock

BUS_NAME = 'org.freedesktop.ModemManager1'
MAIN_OBJ = '/org/freedesktop/ModemManager1'
MAIN_IFACE = 'org.freedesktop.ModemManager1'
SYSTEM_BUS = True
IS_OBJECT_MANAGER = True

MODEM_IFACE = 'org.freedesktop.ModemManager1.Modem'
SIM_IFACE = 'org.freedesktop.ModemManager1.Sim'
MESSAGING_IFACE = 'org.freedesktop.ModemManager1.Modem.Messaging'
SMS_IFACE = 'org.freedesktop.ModemManager1.Sms'
SMS_PDU_TYPE_DELIVER = 1
SMS_PDU_TYPE_SUBMIT = 2
SMS_STATE_UNKNOWN = 0
SMS_STATE_RECEIVED = 3
SMS_STATE_SENT = 5

PORT_TYPE_QMI = 6
MODEM_STATE_DISABLED = 3
MODEM_STATE_REGISTERED = 8


def load(mock, parameters):
    mock.AddMethods(MAIN_IFACE, [('ScanDevices', '', '', ''),
                                 ('SetLogging', 's', '', '')])
    mock.AddProperties(MAIN_IFACE, {'Version': parameters.get('Version', '1.20.4')})
    mock.next_modem = 0
    mock.next_sms = 0
    mock.send_error = ""


def _send_sms(sms):
    root = dbusmock.get_object(MAIN_OBJ)
    if root.send_error:
        raise dbus.exceptions.DBusException("the network refused it", name=root.send_error)
    sms.UpdateProperties(SMS_IFACE, {'State': dbus.UInt32(SMS_STATE_SENT)})


def _create_sms(messaging, properties):
    root = dbusmock.get_object(MAIN_OBJ)
    path = f'/org/freedesktop/ModemManager1/SMS/{root.next_sms}'
    root.next_sms += 1
    messaging.AddObject(path, SMS_IFACE, {
        'State': dbus.UInt32(SMS_STATE_UNKNOWN),
        'PduType': dbus.UInt32(SMS_PDU_TYPE_SUBMIT),
        'Number': properties.get('number', ''),
        'Text': properties.get('text', ''),
        'Data': dbus.ByteArray(bytes(properties.get('data', b''))),
        'Class': dbus.Int32(properties.get('class', -1)),
        'SMSC': '',
        'Timestamp': '',
        'Storage': dbus.UInt32(0),
    }, [])
    dbusmock.get_object(path).AddMethods(SMS_IFACE, [('Send', '', '', _send_sms),
                                                      ('Store', 'u', '', '')])
    return dbus.ObjectPath(path)


@dbus.service.method(MOCK_IFACE, in_signature='s', out_signature='')
def SetSendError(self, name):
    self.send_error = name


MESSAGING_PROPS = {
    'Messages': dbus.Array([], signature='o'),
    'SupportedStorages': dbus.Array([dbus.UInt32(2)], signature='u'),
    'DefaultStorage': dbus.UInt32(2),
}


def _add_messaging(modem):
    modem.AddProperties(MESSAGING_IFACE, dict(MESSAGING_PROPS))
    modem.AddMethods(MESSAGING_IFACE, [
        ('List', '', 'ao', f'ret = self.Get("{MESSAGING_IFACE}", "Messages")'),
        ('Delete', 'o', '', ''),
        ('Create', 'a{sv}', 'o', _create_sms),
    ])


def _add_modem(mock, device, sim_identifier, ports, messaging):
    n = mock.next_modem
    mock.next_modem += 1
    sim_path = f'/org/freedesktop/ModemManager1/SIM/{n}'
    path = f'/org/freedesktop/ModemManager1/Modem/{n}'
    mock.AddObject(sim_path, SIM_IFACE, {
        'Active': True,
        'SimIdentifier': sim_identifier,
        'Imsi': '',
        'OperatorIdentifier': '',
        'OperatorName': '',
    }, [])
    mock.object_manager_emit_added(sim_path)
    primary = next((name for name, kind in ports if kind == PORT_TYPE_QMI), '')
    mock.AddObject(path, MODEM_IFACE, {
        'Sim': dbus.ObjectPath(sim_path),
        'SimSlots': dbus.Array([dbus.ObjectPath(sim_path)], signature='o'),
        'Device': device,
        'Drivers': dbus.Array(['qmi_wwan'], signature='s'),
        'Plugin': 'generic',
        'PrimaryPort': primary,
        'Ports': dbus.Array([dbus.Struct((name, dbus.UInt32(kind)), signature='su')
                             for name, kind in ports], signature='(su)'),
        'Manufacturer': 'dmsc-sim',
        'Model': 'virtual',
        'EquipmentIdentifier': '356938035643809',
        'State': dbus.Int32(MODEM_STATE_REGISTERED if messaging else MODEM_STATE_DISABLED),
    }, [])
    if messaging:
        _add_messaging(dbusmock.get_object(path))
    # AddObject from a template method does not announce the object: do it here.
    mock.object_manager_emit_added(path)
    return path


@dbus.service.method(MOCK_IFACE, in_signature='ssa(su)', out_signature='o')
def AddModem(self, device, sim_identifier, ports):
    return _add_modem(self, device, sim_identifier, ports, True)


@dbus.service.method(MOCK_IFACE, in_signature='ssa(su)', out_signature='o')
def AddDisabledModem(self, device, sim_identifier, ports):
    """A modem not enabled yet: ModemManager exports no Messaging for it."""
    return _add_modem(self, device, sim_identifier, ports, False)


@dbus.service.method(MOCK_IFACE, in_signature='o', out_signature='')
def EnableModem(self, path):
    """The modem is enabled: its Messaging interface appears (InterfacesAdded)."""
    modem = dbusmock.get_object(path)
    _add_messaging(modem)
    modem.UpdateProperties(MODEM_IFACE, {'State': dbus.Int32(MODEM_STATE_REGISTERED)})
    self.EmitSignal('org.freedesktop.DBus.ObjectManager', 'InterfacesAdded', 'oa{sa{sv}}',
                    [dbus.ObjectPath(path), {MESSAGING_IFACE: modem.GetAll(MESSAGING_IFACE)}])


@dbus.service.method(MOCK_IFACE, in_signature='osay', out_signature='o')
def AddSms(self, modem_path, number, data):
    path = f'/org/freedesktop/ModemManager1/SMS/{self.next_sms}'
    self.next_sms += 1
    self.AddObject(path, SMS_IFACE, {
        'State': dbus.UInt32(SMS_STATE_RECEIVED),
        'PduType': dbus.UInt32(SMS_PDU_TYPE_DELIVER),
        'Number': number,
        'Text': '',
        'Data': dbus.ByteArray(bytes(data)),
        'SMSC': '',
        'Timestamp': '',
        'Storage': dbus.UInt32(2),
    }, [])
    self.object_manager_emit_added(path)
    modem = dbusmock.get_object(modem_path)
    messages = list(modem.Get(MESSAGING_IFACE, 'Messages')) + [dbus.ObjectPath(path)]
    modem.UpdateProperties(MESSAGING_IFACE, {'Messages': dbus.Array(messages, signature='o')})
    modem.EmitSignal(MESSAGING_IFACE, 'Added', 'ob', [dbus.ObjectPath(path), True])
    return path


@dbus.service.method(MOCK_IFACE, in_signature='o', out_signature='')
def RemoveModem(self, path):
    sim = dbusmock.get_object(path).Get(MODEM_IFACE, 'Sim')
    self.object_manager_emit_removed(path)
    self.RemoveObject(path)
    self.object_manager_emit_removed(sim)
    self.RemoveObject(sim)
